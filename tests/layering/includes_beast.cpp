// Must not compile with the domain's settings: the domain talks to ports, never to Beast.
#include <boost/beast.hpp>
