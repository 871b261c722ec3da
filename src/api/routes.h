/* The route table of both listeners. */
#ifndef TROTH_ROUTES_H
#define TROTH_ROUTES_H
#include <stddef.h>

#include "http/route.h"

extern const struct route routes[];
extern const size_t routes_count;

#endif
