"""Access policy: the single place where Halte decides who may see and do what."""
