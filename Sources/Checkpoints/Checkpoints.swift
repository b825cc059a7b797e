// Checkpoints: see Docs/Modules.md. (Module under construction.)
