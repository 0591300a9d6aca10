// Must not build: common/ sits below operator/.
#include "common/clock.h"
#include "operator/node.h"
