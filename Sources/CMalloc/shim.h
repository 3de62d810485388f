// glibc's allocator controls and statistics: mallopt (arena count, mmap
// threshold) and mallinfo2 (bytes in use and held), which the Glibc module
// does not export.
#include <malloc.h>
