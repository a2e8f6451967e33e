"""Pages for people, served beside the API: the self-building account form."""
