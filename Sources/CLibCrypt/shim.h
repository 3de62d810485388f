// libxcrypt (Debian's libcrypt-dev): bcrypt password hashing for the auth
// store, through crypt_rn and crypt_gensalt_rn.
#include <crypt.h>
