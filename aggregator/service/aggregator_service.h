#ifndef AP_AGGREGATOR_SERVICE_AGGREGATOR_SERVICE_H_
#define AP_AGGREGATOR_SERVICE_AGGREGATOR_SERVICE_H_

// ap.v1.Aggregator over gRPC: authenticates the caller's API key, calls
// WorkflowService, and converts absl::Status to grpc::Status. No logic of
// its own beyond PreviewSchedule's loop over a Trigger.

#include <functional>
#include <utility>

#include "aggregator/auth/credentials.h"
#include "aggregator/dispatch/dispatcher.h"
#include "aggregator/workflows/service.h"
#include "aggregator/service/leader_forwarder.h"
#include "ap/v1/aggregator.grpc.pb.h"
#include "common/clock.h"

namespace ap {

class AggregatorServiceImpl final : public v1::Aggregator::Service {
 public:
  // What GetOverview answers (the node assembles it).
  using OverviewSource = std::function<v1::Overview()>;

  // `dispatcher` (optional) adds live operator state to ListOperators;
  // `forwarder` (optional) sends calls on a standby to the leader;
  // without `overview`, GetOverview is UNIMPLEMENTED.
  AggregatorServiceImpl(WorkflowService* workflows,
                        CredentialStore* credentials, Clock* clock,
                        Dispatcher* dispatcher = nullptr,
                        LeaderForwarder* forwarder = nullptr,
                        OverviewSource overview = nullptr)
      : workflows_(workflows),
        credentials_(credentials),
        clock_(clock),
        dispatcher_(dispatcher),
        forwarder_(forwarder),
        overview_(std::move(overview)) {}

  grpc::Status CreateWorkflow(grpc::ServerContext* ctx,
                              const v1::CreateWorkflowRequest* req,
                              v1::Workflow* resp) override;
  grpc::Status UpdateWorkflow(grpc::ServerContext* ctx,
                              const v1::UpdateWorkflowRequest* req,
                              v1::Workflow* resp) override;
  grpc::Status GetWorkflow(grpc::ServerContext* ctx,
                           const v1::GetWorkflowRequest* req,
                           v1::Workflow* resp) override;
  grpc::Status ListWorkflows(grpc::ServerContext* ctx,
                             const v1::ListWorkflowsRequest* req,
                             v1::ListWorkflowsResponse* resp) override;
  grpc::Status PauseWorkflow(grpc::ServerContext* ctx,
                             const v1::PauseWorkflowRequest* req,
                             v1::Workflow* resp) override;
  grpc::Status ResumeWorkflow(grpc::ServerContext* ctx,
                              const v1::ResumeWorkflowRequest* req,
                              v1::Workflow* resp) override;
  grpc::Status CancelWorkflow(grpc::ServerContext* ctx,
                              const v1::CancelWorkflowRequest* req,
                              v1::Workflow* resp) override;
  grpc::Status DeleteWorkflow(grpc::ServerContext* ctx,
                              const v1::DeleteWorkflowRequest* req,
                              v1::DeleteWorkflowResponse* resp) override;
  grpc::Status TriggerWorkflow(grpc::ServerContext* ctx,
                               const v1::TriggerWorkflowRequest* req,
                               v1::Execution* resp) override;
  grpc::Status BackfillWorkflow(grpc::ServerContext* ctx,
                                const v1::BackfillWorkflowRequest* req,
                                v1::BackfillWorkflowResponse* resp) override;
  grpc::Status ListExecutions(grpc::ServerContext* ctx,
                              const v1::ListExecutionsRequest* req,
                              v1::ListExecutionsResponse* resp) override;
  grpc::Status GetExecution(grpc::ServerContext* ctx,
                            const v1::GetExecutionRequest* req,
                            v1::Execution* resp) override;
  grpc::Status ExamineWorkflow(grpc::ServerContext* ctx,
                               const v1::ExamineWorkflowRequest* req,
                               v1::ExamineWorkflowResponse* resp) override;
  grpc::Status PreviewSchedule(grpc::ServerContext* ctx,
                               const v1::PreviewScheduleRequest* req,
                               v1::PreviewScheduleResponse* resp) override;
  grpc::Status ListOperators(grpc::ServerContext* ctx,
                             const v1::ListOperatorsRequest* req,
                             v1::ListOperatorsResponse* resp) override;
  grpc::Status ListNotifications(grpc::ServerContext* ctx,
                                 const v1::ListNotificationsRequest* req,
                                 v1::ListNotificationsResponse* resp) override;
  grpc::Status GetCaller(grpc::ServerContext* ctx,
                         const v1::GetCallerRequest* req,
                         v1::Caller* resp) override;
  grpc::Status GetOverview(grpc::ServerContext* ctx,
                           const v1::GetOverviewRequest* req,
                           v1::Overview* resp) override;

 private:
  // Authenticates, runs `fn` with the caller, converts the status.
  grpc::Status Handle(grpc::ServerContext* ctx, const char* method,
                      const google::protobuf::Message& req,
                      google::protobuf::Message* resp,
                      const std::function<absl::Status(const Caller&)>& fn);

  WorkflowService* const workflows_;
  CredentialStore* const credentials_;
  Clock* const clock_;
  Dispatcher* const dispatcher_;
  LeaderForwarder* const forwarder_;
  const OverviewSource overview_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_SERVICE_AGGREGATOR_SERVICE_H_
