"""两山银行 (Two Mountains Bank): ecological assets registered, valued and turned into money."""
