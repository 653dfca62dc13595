"""Small apps that use vendorkit the way a web app would; each has tests in tests/examples/."""
