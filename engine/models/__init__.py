"""What memtop knows of models: the catalog of names a run can ask for (keras-hub presets,
Keras applications, a user's factory `module:function`), and the architectures it can build with
random weights when no preset can be downloaded (each with a tiny configuration for tests)."""
