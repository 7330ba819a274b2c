// The protocol test module: codec (requests and responses), framing and message helpers.
#define BOOST_TEST_MODULE protocol
#include <boost/test/unit_test.hpp>
