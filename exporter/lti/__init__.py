"""The LTI 1.3 tool: storage, tool configuration and keys (this package), endpoints on top of them."""
