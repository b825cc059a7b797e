// JPEGShim: the only code that calls libjpeg(-turbo). libjpeg reports errors through its
// error_exit hook, which by default calls exit(); here it longjmps back to a setjmp point in the
// same C function, so that no libjpeg error ever unwinds a Swift frame (undefined behaviour).
// Every function sets its own setjmp point and turns an error into a status code plus a copied
// message. The header needs no libjpeg types, so Swift sees plain integers and pointers.
#ifndef JPEGSHIM_H
#define JPEGSHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Outcome of a shim call. Anything but JPEGSHIM_OK leaves a message in the decoder.
typedef enum {
    JPEGSHIM_OK = 0,
    /// libjpeg stopped with an error; the message is its text (e.g. "Bogus marker length").
    JPEGSHIM_LIBJPEG_ERROR = 1,
    /// The input ended before the image did (before EOI).
    JPEGSHIM_TRUNCATED = 2,
    /// The frame header declares a zero width or height (header holds both values).
    JPEGSHIM_ZERO_DIMENSIONS = 3,
    /// The frame header exceeds the limits given to read_header, or libjpeg's own 65500.
    JPEGSHIM_OVER_LIMIT = 4,
    /// Memory could not be allocated (or the memory limit was reached).
    JPEGSHIM_OUT_OF_MEMORY = 5,
    /// The caller broke a precondition (buffer too small, call out of order, bad parameters).
    JPEGSHIM_BAD_CALL = 6,
    /// libjpeg only warned about damaged entropy-coded data ("Corrupt JPEG data: ..."); a
    /// damaged file is refused rather than decoded into garbage.
    JPEGSHIM_CORRUPT = 7,
    /// A valid file this shim does not decode (colour space, component count, too many scans).
    JPEGSHIM_UNSUPPORTED = 8,
} jpegshim_status;

/// Colour spaces of the stored data (libjpeg's guess from the JFIF/Adobe markers).
typedef enum {
    JPEGSHIM_GRAY = 1,
    JPEGSHIM_RGB = 2,
    JPEGSHIM_YCBCR = 3,
    JPEGSHIM_CMYK = 4,
    JPEGSHIM_YCCK = 5,
} jpegshim_color_space;

/// Frame geometry as stored (before the EXIF orientation is applied).
typedef struct {
    uint32_t width;
    uint32_t height;
    uint32_t components;
    /// A jpegshim_color_space value.
    uint32_t color_space;
    uint32_t progressive;
    /// EXIF orientation 1...8 from the first APP1 "Exif" segment; 1 when absent or invalid.
    uint32_t orientation;
    /// An Adobe APP14 marker was present (CMYK/YCCK data is then stored inverted, as Adobe
    /// applications and most other writers do).
    uint32_t adobe_marker;
} jpegshim_header;

typedef struct jpegshim_decoder jpegshim_decoder;

/// Creates a decoder over `size` bytes at `data`; the bytes are borrowed and must outlive it.
/// Returns NULL only when memory is exhausted.
jpegshim_decoder *jpegshim_decoder_create(const uint8_t *data, size_t size);

/// Reads the markers up to the first scan, checks the frame size against max_width,
/// max_height and max_pixels, and records the EXIF orientation. Allocates no pixel memory.
/// `max_scans` bounds the scans of a progressive file (a hostile file can hold thousands of
/// tiny scans). `max_memory` bounds libjpeg's own working memory (progressive files keep all
/// coefficients: about 2 bytes per sample).
jpegshim_status jpegshim_decoder_read_header(jpegshim_decoder *decoder, uint32_t max_width,
                                             uint32_t max_height, uint64_t max_pixels,
                                             uint32_t max_scans, size_t max_memory,
                                             jpegshim_header *header);

/// Decodes the whole image as 8-bit RGB into `pixels` (width * height * 3 bytes, as stored,
/// orientation not applied). Gray becomes R = G = B; CMYK and YCCK become RGB by
/// R = (255 - C) * (255 - K) / 255 (values un-inverted first when the Adobe marker is there).
jpegshim_status jpegshim_decoder_read_pixels(jpegshim_decoder *decoder, uint8_t *pixels,
                                             size_t pixels_size);

/// The last libjpeg (or shim) message, never NULL; "" when there was none.
const char *jpegshim_decoder_message(const jpegshim_decoder *decoder);

/// Frees the decoder and libjpeg's state. NULL is allowed.
void jpegshim_decoder_destroy(jpegshim_decoder *decoder);

/// What to write.
typedef struct {
    uint32_t width;
    uint32_t height;
    /// 1 (gray), 3 (RGB) or 4 (CMYK, written as given, with an Adobe marker).
    uint32_t components;
    /// For 4 components: 1 stores YCCK instead of CMYK.
    uint32_t ycck;
    const uint8_t *samples;
    size_t row_stride;
    /// 1...100.
    int32_t quality;
    uint32_t progressive;
    /// 1: no chroma subsampling (4:4:4); 0: libjpeg's default 4:2:0.
    uint32_t full_chroma;
    /// 1...8 writes an APP1 Exif segment with this orientation; 0 writes none.
    uint32_t exif_orientation;
} jpegshim_encode_params;

/// Encodes into a malloc'ed buffer (*output, *output_size; free with jpegshim_free).
/// On failure copies libjpeg's message into `message`.
jpegshim_status jpegshim_encode(const jpegshim_encode_params *params, uint8_t **output,
                                size_t *output_size, char *message, size_t message_capacity);

void jpegshim_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif
