// PNGShim: the only code that calls libpng. libpng reports errors by longjmp, which must never
// cross Swift frames, so every libpng call happens inside these C functions, each of which sets
// its own setjmp point and turns a libpng error into a status code plus a copied message.
//
// The header needs no libpng types, so Swift sees plain integers and pointers.
#ifndef PNGSHIM_H
#define PNGSHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Outcome of a shim call. Anything but PNGSHIM_OK leaves a message in the decoder/encoder.
typedef enum {
    PNGSHIM_OK = 0,
    /// libpng called its error handler; the message says why (e.g. "IDAT: CRC error").
    PNGSHIM_LIBPNG_ERROR = 1,
    /// The input ended before libpng had read everything it needed.
    PNGSHIM_TRUNCATED = 2,
    /// IHDR (CRC verified) declares a zero width or height; see pngshim_header for both values.
    PNGSHIM_ZERO_DIMENSIONS = 3,
    /// IHDR (CRC verified) exceeds the width/height limits given to read_header.
    PNGSHIM_OVER_LIMIT = 4,
    /// libpng could not allocate its structures.
    PNGSHIM_OUT_OF_MEMORY = 5,
    /// The caller broke a precondition (buffer too small, call out of order, bad parameters).
    PNGSHIM_BAD_CALL = 6,
    /// A chunk's CRC does not match; the message is the chunk type (e.g. "IDAT").
    PNGSHIM_CRC_ERROR = 7,
} pngshim_status;

/// Image geometry after libpng's transforms: always 8-bit, 3 (RGB) or 4 (RGBA) channels.
typedef struct {
    uint32_t width;
    uint32_t height;
    /// 3 or 4 after transforms.
    uint32_t channels;
    /// As stored in the file (1, 2, 4, 8 or 16) and PNG colour type (0, 2, 3, 4 or 6).
    uint32_t source_bit_depth;
    uint32_t source_color_type;
    /// 0 none, 1 Adam7.
    uint32_t interlaced;
} pngshim_header;

typedef struct pngshim_decoder pngshim_decoder;

/// Creates a decoder over `size` bytes at `data`; the bytes are borrowed and must outlive it.
/// Returns NULL only when memory is exhausted.
pngshim_decoder *pngshim_decoder_create(const uint8_t *data, size_t size);

/// First checks the CRC of every complete chunk up to IEND (see PNGSHIM_CRC_ERROR); then reads
/// the signature and every chunk up to the first IDAT, checks IHDR against
/// max_width/max_height (through png_set_user_limits) and width * height against max_pixels
/// (before libpng sizes its row buffers), caps ancillary chunk allocations at
/// `max_chunk_bytes`, and configures the transforms to 8-bit RGB or RGBA. Allocates no pixel
/// memory, so the caller can check the geometry before it commits to a buffer.
/// On PNGSHIM_ZERO_DIMENSIONS and PNGSHIM_OVER_LIMIT, `header->width/height` hold IHDR's values.
pngshim_status pngshim_decoder_read_header(pngshim_decoder *decoder, uint32_t max_width,
                                           uint32_t max_height, uint64_t max_pixels,
                                           size_t max_chunk_bytes, pngshim_header *header);

/// Decodes every row (all Adam7 passes) into `pixels` (width * height * channels bytes, rows
/// packed), then reads the chunks after the image data through IEND.
pngshim_status pngshim_decoder_read_pixels(pngshim_decoder *decoder, uint8_t *pixels,
                                           size_t pixels_size);

/// The last libpng error (or shim) message, never NULL; "" when there was none.
const char *pngshim_decoder_message(const pngshim_decoder *decoder);

/// Frees the decoder and libpng's state. NULL is allowed.
void pngshim_decoder_destroy(pngshim_decoder *decoder);

/// What to write. Rows are in PNG's own sample format: packed for bit depths below 8 (first
/// pixel in the high bits), big-endian for 16-bit. Any colour type, bit depth and interlace
/// valid in PNG is accepted, so the tests can produce every kind of file.
typedef struct {
    uint32_t width;
    uint32_t height;
    uint32_t bit_depth;
    uint32_t color_type;
    /// 0 none, 1 Adam7.
    uint32_t interlaced;
    const uint8_t *rows;
    size_t row_stride;
    /// Colour type 3: `palette_count` RGB triples.
    const uint8_t *palette_rgb;
    uint32_t palette_count;
    /// Colour type 3: tRNS alpha for the first `palette_alpha_count` palette entries.
    const uint8_t *palette_alpha;
    uint32_t palette_alpha_count;
    /// Colour types 0 and 2: a tRNS colour key (gray uses trns_gray; RGB the other three).
    int has_trns_color;
    uint16_t trns_gray, trns_red, trns_green, trns_blue;
    /// zlib level 0...9.
    int compression_level;
} pngshim_encode_params;

/// Encodes to a malloc'd buffer stored in *out (free it with pngshim_free) and its length in
/// *out_size. On failure *out is NULL and `message` (capacity `message_capacity`) says why.
pngshim_status pngshim_encode(const pngshim_encode_params *params, uint8_t **out,
                              size_t *out_size, char *message, size_t message_capacity);

/// Frees a buffer returned by pngshim_encode. NULL is allowed.
void pngshim_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif
