// libpng 1.6 (Debian: libpng-dev, pkg-config "libpng").
#include <png.h>
