// libjpeg-turbo through the libjpeg API (Debian: libjpeg62-turbo-dev, pkg-config "libjpeg").
// Only JPEGShim calls it; this module map exists so that SwiftPM finds and links the library.
#include <stdio.h>
#include <jpeglib.h>
