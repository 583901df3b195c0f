"""Admin of VBA Auths (filled in below)."""
