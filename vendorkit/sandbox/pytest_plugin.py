"""pytest plugin (entry point ``pytest11``): the ``vendorkit_sandbox`` fixture."""
