/* fuzz_crc_repair.h: the entry point of a fuzz target for a format that ends with a CRC-32
   (IEEE, little-endian, over every byte before it: SRLP, SRLD, SRLC).

   A target defines `static int fuzz_target(const uint8_t *data, size_t size)` and includes
   this file after it. Built plainly, libFuzzer's input goes to fuzz_target unchanged: nearly
   every mutation then fails the CRC, which keeps the checks behind it out of reach. Built
   with -DFUZZ_REPAIR_CRC (the build/fuzz_<name>_crc binaries), the last four bytes of a copy
   are overwritten with the CRC of the bytes before them, so every mutation reaches the
   format's other checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef FUZZ_REPAIR_CRC
static uint32_t fuzz_crc32(const uint8_t *p, size_t n) {
    uint32_t crc = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < n; ++i) {
        crc ^= p[i];
        for (k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *copy;
    uint32_t crc;
    int result;
    if (size < 4) return fuzz_target(data, size);
    copy = (uint8_t *)malloc(size);
    if (!copy) return 0;
    memcpy(copy, data, size);
    crc = fuzz_crc32(copy, size - 4);
    copy[size - 4] = (uint8_t)crc;
    copy[size - 3] = (uint8_t)(crc >> 8);
    copy[size - 2] = (uint8_t)(crc >> 16);
    copy[size - 1] = (uint8_t)(crc >> 24);
    result = fuzz_target(copy, size);
    free(copy);
    return result;
}
#else
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_target(data, size); }
#endif
