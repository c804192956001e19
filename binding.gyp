{
  "targets": [
    {
      "target_name": "uvkit",
      "sources": [
        "src/native/address.cc",
        "src/native/addon.cc",
        "src/native/async.cc",
        "src/native/box_pool.cc",
        "src/native/checksum.cc",
        "src/native/embed.cc",
        "src/native/embed_thread.cc",
        "src/native/errors.cc",
        "src/native/fast_spawn.cc",
        "src/native/features.cc",
        "src/native/fs.cc",
        "src/native/fs_queue.cc",
        "src/native/fs_event.cc",
        "src/native/fs_poll.cc",
        "src/native/handle.cc",
        "src/native/loop.cc",
        "src/native/orphan_loop.cc",
        "src/native/pipe.cc",
        "src/native/poll.cc",
        "src/native/pool_request.cc",
        "src/native/process.cc",
        "src/native/reaper.cc",
        "src/native/signal.cc",
        "src/native/slab.cc",
        "src/native/stats.cc",
        "src/native/stream.cc",
        "src/native/tcp.cc",
        "src/native/timer.cc",
        "src/native/tty.cc",
        "src/native/udp.cc",
        "src/native/constants.cc",
        "src/native/dns.cc",
        "src/native/util.cc",
        "src/native/watchers.cc",
        "src/native/work.cc",
        "src/native/write_data.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags": ["-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc": ["-std=c++17", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "MACOSX_DEPLOYMENT_TARGET": "10.15",
        "OTHER_CFLAGS": ["-arch x86_64", "-arch arm64"],
        "OTHER_LDFLAGS": ["-arch x86_64", "-arch arm64"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "AdditionalOptions": ["/std:c++17"], "ExceptionHandling": 0 }
      },
      "conditions": [
        ["OS=='linux'", { "ldflags": ["-Wl,-Bsymbolic"] }]
      ]
    }
  ]
}
