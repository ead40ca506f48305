"""The membership pages under /members/. Each view module lists its own routes."""
