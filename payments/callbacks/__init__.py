"""Applying provider callbacks: ``providers`` stores them untrusted and sends the task
``providers.callbacks.APPLY_TASK`` by name; this package registers that task
(``tasks.py``), reads and confirms each callback with its provider (``appliers.py``,
one per provider) and applies what the provider confirms through ``transitions``
(``services.py``). ``selectors.py`` serves the callbacks page."""
