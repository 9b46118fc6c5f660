"""Admin pages of the service-point register and the designations."""
