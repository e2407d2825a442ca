"""Imports keep no tables of their own: an import is a job (`thuocdo.jobs.Job`, kind
"imports.run") and its file an `Upload`; the writes it makes go through the services,
which audit each one."""
