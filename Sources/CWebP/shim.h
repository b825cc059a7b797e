// libwebp (Debian: libwebp-dev, pkg-config "libwebp").
#include <webp/decode.h>
#include <webp/encode.h>
