// Must not build: schedule/ sits below workflows/.
#include "aggregator/schedule/firing.h"
#include "aggregator/workflows/service.h"
