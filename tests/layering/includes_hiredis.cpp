// Must not compile with the domain's settings: only the redis adapter uses hiredis.
#include <hiredis/hiredis.h>
