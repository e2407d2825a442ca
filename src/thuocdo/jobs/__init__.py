"""Long work as jobs: queued in the database (django-tasks), run by workers, all-or-nothing,
with progress every page can read and a retry when a worker stopped half way."""
