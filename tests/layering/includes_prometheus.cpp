// Must not compile with the domain's settings: the domain declares the Metrics port, only the
// metrics adapter uses prometheus-cpp.
#include <prometheus/registry.h>
