"""Screens of the interventions: thin views, one domain function per write.

Every view fetches the case through ``visible_cases`` (404 outside it), then the object through the
scoped querysets of :mod:`halte.access.interventions` (a judicial measure is a 404 for whoever does
not read the judicial compartment), checks the predicate (403), validates the form (invalid input:
the page again with French errors, status 400, nothing saved), calls one domain function, redirects
to the case page.
"""
