"""Operator use cases behind the pages: access, store connection and settings, first import, sync health."""
