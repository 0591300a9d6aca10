// Must not build: records/ sits below schedule/ (aggregator/CMakeLists.txt).
#include "aggregator/records/workflow_store.h"
#include "aggregator/schedule/firing.h"
