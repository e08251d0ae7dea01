"""In-process fakes of the providers' HTTP APIs, so the real client libraries run end to end in tests."""
