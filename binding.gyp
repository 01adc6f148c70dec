{
  "targets": [
    {
      "target_name": "udp_engine",
      "sources": ["native/udp-engine.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS!='linux'", {"type": "none", "sources!": ["native/udp-engine.c"]}]]
    }
  ]
}
