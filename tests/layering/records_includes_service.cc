// Must not build: records/ sits below service/.
#include "aggregator/records/workflow_store.h"
#include "aggregator/service/grpc_server.h"
