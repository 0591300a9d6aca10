#include "aggregator/service/aggregator_service.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "aggregator/schedule/trigger.h"
#include "aggregator/service/user_call.h"
#include "common/cron/jitter.h"
#include "common/log/log.h"
#include "common/proto_time.h"
#include "common/status.h"
#include "grpcpp/server_context.h"

namespace ap {
namespace {

constexpr int kDefaultPreview = 10;
constexpr int kMaxPreview = 1000;

}  // namespace

grpc::Status AggregatorServiceImpl::Handle(
    grpc::ServerContext* ctx, const char* method,
    const google::protobuf::Message& req, google::protobuf::Message* resp,
    const std::function<absl::Status(const Caller&)>& fn) {
  return HandleUserCall({credentials_, forwarder_}, ctx,
                        v1::Aggregator::service_full_name(), method, req, resp,
                        fn);
}

grpc::Status AggregatorServiceImpl::CreateWorkflow(
    grpc::ServerContext* ctx, const v1::CreateWorkflowRequest* req,
    v1::Workflow* resp) {
  return Handle(ctx, "CreateWorkflow", *req, resp, [&](const Caller& c) {
    return Into(workflows_->Create(c, req->workflow()), resp);
  });
}

grpc::Status AggregatorServiceImpl::UpdateWorkflow(
    grpc::ServerContext* ctx, const v1::UpdateWorkflowRequest* req,
    v1::Workflow* resp) {
  return Handle(ctx, "UpdateWorkflow", *req, resp, [&](const Caller& c) {
    return Into(workflows_->Update(c, *req), resp);
  });
}

grpc::Status AggregatorServiceImpl::GetWorkflow(
    grpc::ServerContext* ctx, const v1::GetWorkflowRequest* req,
    v1::Workflow* resp) {
  return Handle(ctx, "GetWorkflow", *req, resp, [&](const Caller& c) {
    return Into(workflows_->Get(c, req->id()), resp);
  });
}

grpc::Status AggregatorServiceImpl::ListWorkflows(
    grpc::ServerContext* ctx, const v1::ListWorkflowsRequest* req,
    v1::ListWorkflowsResponse* resp) {
  return Handle(ctx, "ListWorkflows", *req, resp, [&](const Caller& c) {
    return Into(workflows_->List(c, *req), resp);
  });
}

grpc::Status AggregatorServiceImpl::PauseWorkflow(
    grpc::ServerContext* ctx, const v1::PauseWorkflowRequest* req,
    v1::Workflow* resp) {
  return Handle(ctx, "PauseWorkflow", *req, resp, [&](const Caller& c) {
    return Into(workflows_->Pause(c, req->id()), resp);
  });
}

grpc::Status AggregatorServiceImpl::ResumeWorkflow(
    grpc::ServerContext* ctx, const v1::ResumeWorkflowRequest* req,
    v1::Workflow* resp) {
  return Handle(ctx, "ResumeWorkflow", *req, resp, [&](const Caller& c) {
    return Into(workflows_->Resume(c, req->id()), resp);
  });
}

grpc::Status AggregatorServiceImpl::CancelWorkflow(
    grpc::ServerContext* ctx, const v1::CancelWorkflowRequest* req,
    v1::Workflow* resp) {
  return Handle(ctx, "CancelWorkflow", *req, resp, [&](const Caller& c) {
    return Into(workflows_->Cancel(c, req->id(), req->reason()), resp);
  });
}

grpc::Status AggregatorServiceImpl::DeleteWorkflow(
    grpc::ServerContext* ctx, const v1::DeleteWorkflowRequest* req,
    v1::DeleteWorkflowResponse* resp) {
  return Handle(ctx, "DeleteWorkflow", *req, resp, [&](const Caller& c) {
    return workflows_->Delete(c, req->id());
  });
}

grpc::Status AggregatorServiceImpl::TriggerWorkflow(
    grpc::ServerContext* ctx, const v1::TriggerWorkflowRequest* req,
    v1::Execution* resp) {
  return Handle(ctx, "TriggerWorkflow", *req, resp, [&](const Caller& c) {
    return Into(workflows_->Trigger(c, req->id()), resp);
  });
}

grpc::Status AggregatorServiceImpl::ListExecutions(
    grpc::ServerContext* ctx, const v1::ListExecutionsRequest* req,
    v1::ListExecutionsResponse* resp) {
  return Handle(ctx, "ListExecutions", *req, resp, [&](const Caller& c) {
    return Into(workflows_->ListExecutions(c, *req), resp);
  });
}

grpc::Status AggregatorServiceImpl::GetExecution(
    grpc::ServerContext* ctx, const v1::GetExecutionRequest* req,
    v1::Execution* resp) {
  return Handle(ctx, "GetExecution", *req, resp, [&](const Caller& c) {
    return Into(workflows_->GetExecution(c, req->id()), resp);
  });
}

grpc::Status AggregatorServiceImpl::ExamineWorkflow(
    grpc::ServerContext* ctx, const v1::ExamineWorkflowRequest* req,
    v1::ExamineWorkflowResponse* resp) {
  return Handle(ctx, "ExamineWorkflow", *req, resp, [&](const Caller& c) {
    return Into(workflows_->Examine(c, *req), resp);
  });
}

grpc::Status AggregatorServiceImpl::BackfillWorkflow(
    grpc::ServerContext* ctx, const v1::BackfillWorkflowRequest* req,
    v1::BackfillWorkflowResponse* resp) {
  return Handle(ctx, "BackfillWorkflow", *req, resp, [&](const Caller& c) {
    return Into(workflows_->Backfill(c, *req), resp);
  });
}

grpc::Status AggregatorServiceImpl::PreviewSchedule(
    grpc::ServerContext* ctx, const v1::PreviewScheduleRequest* req,
    v1::PreviewScheduleResponse* resp) {
  return Handle(ctx, "PreviewSchedule", *req, resp, [&](const Caller&) -> absl::Status {
    if (req->count() < 0 || req->count() > kMaxPreview) {
      return absl::InvalidArgumentError(
          absl::StrCat("count: must be between 0 and ", kMaxPreview));
    }
    const absl::Time now = clock_->TimeNow();
    absl::Time from = now;
    if (req->has_from()) {
      AP_RETURN_IF_ERROR(ValidateTimestamp("from", req->from()));
      from = FromProto(req->from());
    }
    std::optional<absl::Time> start, expire;
    if (req->has_start_at()) {
      AP_RETURN_IF_ERROR(ValidateTimestamp("start_at", req->start_at()));
      start = FromProto(req->start_at());
    }
    if (req->has_expire_at()) {
      AP_RETURN_IF_ERROR(ValidateTimestamp("expire_at", req->expire_at()));
      expire = FromProto(req->expire_at());
    }
    absl::Duration offset;
    if (req->has_jitter()) {
      AP_RETURN_IF_ERROR(ValidateDuration("jitter", req->jitter()));
      if (req->workflow_id().empty()) {
        return absl::InvalidArgumentError(
            "workflow_id: required with jitter (the offset is derived from "
            "the workflow's id)");
      }
      offset = cron::JitterOffset(req->workflow_id(), FromProto(req->jitter()));
    }
    AP_ASSIGN_OR_RETURN(
        Trigger trigger,
        Trigger::Create(req->trigger(), start, expire, from, offset));
    const int count = req->count() == 0 ? kDefaultPreview : req->count();
    std::optional<absl::Time> t = from;
    for (int i = 0; i < count && (t = trigger.Next(*t)); ++i) {
      *resp->add_fire_times() = ToProtoTimestamp(*t);
    }
    return absl::OkStatus();
  });
}

grpc::Status AggregatorServiceImpl::ListOperators(
    grpc::ServerContext* ctx, const v1::ListOperatorsRequest* req,
    v1::ListOperatorsResponse* resp) {
  return Handle(ctx, "ListOperators", *req, resp, [&](const Caller&) -> absl::Status {
    // Live state for those that pinged or synced; the rest of the
    // allow-list as not connected.
    absl::flat_hash_set<std::string> seen;
    if (dispatcher_ != nullptr) {
      for (const v1::OperatorInfo& info : dispatcher_->Operators()) {
        *resp->add_operators() = info;
        seen.insert(info.id());
      }
    }
    AP_ASSIGN_OR_RETURN(std::vector<store::v1::OperatorRecord> ops,
                        credentials_->ListOperators());
    for (const store::v1::OperatorRecord& op : ops) {
      if (seen.contains(op.operator_id())) continue;
      v1::OperatorInfo* info = resp->add_operators();
      info->set_id(op.operator_id());
      info->set_connected(false);
    }
    return absl::OkStatus();
  });
}

grpc::Status AggregatorServiceImpl::ListNotifications(
    grpc::ServerContext* ctx, const v1::ListNotificationsRequest* req,
    v1::ListNotificationsResponse* resp) {
  return Handle(ctx, "ListNotifications", *req, resp, [&](const Caller& c) {
    return Into(workflows_->ListNotifications(c, req->workflow_id()), resp);
  });
}

static_assert(static_cast<int>(Role::kReader) == v1::ROLE_READER &&
              static_cast<int>(Role::kWriter) == v1::ROLE_WRITER &&
              static_cast<int>(Role::kAdmin) == v1::ROLE_ADMIN);

grpc::Status AggregatorServiceImpl::GetCaller(grpc::ServerContext* ctx,
                                              const v1::GetCallerRequest* req,
                                              v1::Caller* resp) {
  return Handle(ctx, "GetCaller", *req, resp, [&](const Caller& caller) {
    resp->set_owner(caller.owner);
    resp->set_role(static_cast<v1::Role>(caller.role));
    return absl::OkStatus();
  });
}

grpc::Status AggregatorServiceImpl::GetOverview(
    grpc::ServerContext* ctx, const v1::GetOverviewRequest* req,
    v1::Overview* resp) {
  return Handle(ctx, "GetOverview", *req, resp, [&](const Caller&) {
    if (!overview_) {
      return absl::UnimplementedError("this aggregator serves no overview");
    }
    *resp = overview_();
    return absl::OkStatus();
  });
}

}  // namespace ap
