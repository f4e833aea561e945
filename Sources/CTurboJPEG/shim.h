#ifndef CTURBOJPEG_SHIM_H
#define CTURBOJPEG_SHIM_H
#include <stddef.h>
#include <turbojpeg.h> // the encoder (ImageEncoder) and the tests' decoding oracle
#include "cjpeg.h"     // the decoder: libjpeg's own API, as strict as Pillow
#endif
