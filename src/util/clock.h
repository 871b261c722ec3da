/* The one monotonic clock of the process, in milliseconds (deadlines and
 * intervals; never shown to anyone). */
#ifndef TROTH_CLOCK_H
#define TROTH_CLOCK_H

long long now_ms(void);

#endif
