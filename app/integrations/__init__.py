"""Clients for everything outside this service: the shared key-value store, WeChat, FaceID."""
