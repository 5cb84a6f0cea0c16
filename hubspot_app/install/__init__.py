"""Installing the app into a HubSpot account: the OAuth install, tokens, uninstall."""
