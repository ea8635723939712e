"""The demo community: 俭学街社区 built from the reference scenario, for `wangge demo` and acceptance tests."""
