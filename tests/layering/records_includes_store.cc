// Builds: a room includes its own headers and those of the rooms below it
// (the control: the probes above fail for their include alone).
#include "aggregator/records/workflow_store.h"
#include "aggregator/store/store.h"
#include "common/clock.h"
