// oneDNN 2.6 (Debian libdnnl-dev), C API. Only the DNNLKernels C target includes it.
#include <oneapi/dnnl/dnnl.h>
