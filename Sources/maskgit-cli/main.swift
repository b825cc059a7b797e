// maskgit-cli: placeholder entry point, replaced as the modules land.
import ImageCodecs
import Tensors

print("maskgit-cli")
