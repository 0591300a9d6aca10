// Must not build: store/ sits below records/.
#include "aggregator/store/store.h"
#include "aggregator/records/keys.h"
