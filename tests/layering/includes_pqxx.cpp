// Must not compile with the domain's settings: only the postgres adapter uses libpqxx.
#include <pqxx/pqxx>
