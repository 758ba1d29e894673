"""Install artifacts: the Microsoft Teams app package (manifest and icons) and its command line."""
