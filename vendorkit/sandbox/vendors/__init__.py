"""One module per emulated vendor; ``Sandbox`` imports them by name (``EMULATORS``)."""
