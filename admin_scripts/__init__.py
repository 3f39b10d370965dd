"""Scripts for coordinators and admins, run on the server: `python -m admin_scripts.<name> --help`."""
