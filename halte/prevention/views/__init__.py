"""Prevention screens, one module per part; each defines its own `urlpatterns` list."""
