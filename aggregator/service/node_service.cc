#include "aggregator/service/node_service.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "aggregator/dispatch/packing.h"
#include "common/log/log.h"
#include "common/proto_time.h"
#include "common/status.h"
#include "grpcpp/server_context.h"

namespace ap {
namespace {

// With SyncRequest.accepts_batches: up to this many assignments, of up to
// this many bytes together, per stream message (far below the 4 MiB an
// operator's channel takes by default).
constexpr size_t kMaxAssignmentsPerMessage = 64;
constexpr size_t kMaxAssignmentBytesPerMessage = 1 << 20;

absl::Status CheckClaim(const std::string& claimed, const std::string& id) {
  if (claimed == id) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("operator_id: \"", claimed,
                   "\" does not match the token's operator (", id, ")"));
}

// gRPC's peer string ("ipv4:10.0.0.7:51234", "ipv6:[::1]:5") without its
// scheme, as people write addresses.
std::string PeerAddress(const std::string& peer) {
  for (absl::string_view scheme : {"ipv4:", "ipv6:"}) {
    if (absl::StartsWith(peer, scheme)) return peer.substr(scheme.size());
  }
  return peer;
}

}  // namespace

absl::StatusOr<std::string> NodeServiceImpl::TokenOperator(
    const grpc::ServerContextBase* ctx) {
  auto it = ctx->client_metadata().find("authorization");
  const std::string header =
      it == ctx->client_metadata().end()
          ? ""
          : std::string(it->second.data(), it->second.size());
  return credentials_->AuthenticateOperator(header);
}

absl::StatusOr<std::string> NodeServiceImpl::Authenticate(
    const grpc::ServerContextBase* ctx, const std::string& claimed) {
  AP_ASSIGN_OR_RETURN(std::string id, TokenOperator(ctx));
  AP_RETURN_IF_ERROR(CheckClaim(claimed, id));
  return id;
}

grpc::ServerUnaryReactor* NodeServiceImpl::Ping(
    grpc::CallbackServerContext* ctx, const v1::PingRequest* req,
    v1::PingResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (std::optional<grpc::Status> standby =
          StandbyAnswer(ctx, options_.leader_elsewhere)) {
    reactor->Finish(*standby);
    return reactor;
  }
  absl::StatusOr<std::string> id = Authenticate(ctx, req->operator_id());
  if (!id.ok()) {
    reactor->Finish(ToGrpcStatus(id.status()));
    return reactor;
  }
  dispatcher_->Ping(*req);
  if (metrics_) metrics_->OnPing();
  *resp->mutable_server_time() = ToProtoTimestamp(clock_->TimeNow());
  *resp->mutable_ping_interval() = ToProtoDuration(options_.ping_interval);
  *resp->mutable_heartbeat_interval() =
      ToProtoDuration(options_.heartbeat_interval);
  resp->set_aggregator_id(options_.aggregator_id);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::Status NodeServiceImpl::Sync(
    grpc::ServerContext* ctx, const v1::SyncRequest* req,
    grpc::ServerWriter<v1::NodeMessage>* writer) {
  if (std::optional<grpc::Status> standby =
          StandbyAnswer(ctx, options_.leader_elsewhere)) {
    return *standby;
  }
  absl::StatusOr<std::string> id = Authenticate(ctx, req->operator_id());
  if (!id.ok()) return ToGrpcStatus(id.status());
  if (const absl::Duration wait = connects_.Admit(*id);
      wait > absl::ZeroDuration()) {
    const int64_t ms = absl::ToInt64Milliseconds(wait) + 1;
    ctx->AddTrailingMetadata("retry-after-ms", std::to_string(ms));
    LogEvent(spdlog::level::warn, "sync_rate_limited",
             {{"operator", *id}, {"retry_after_ms", ms}});
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("too many Sync connects from ", *id,
                                     "; retry in ", ms, " ms"));
  }
  std::shared_ptr<Session> session =
      dispatcher_->Connect(*id, req->version(), req->capacity(),
                           PeerAddress(ctx->peer()));
  LogEvent(spdlog::level::info, "operator_connected",
           {{"operator", *id},
            {"version", req->version()},
            {"capacity", req->capacity()},
            {"peer", ctx->peer()}});
  dispatcher_->Kick();
  const size_t take = req->accepts_batches() ? kMaxAssignmentsPerMessage : 1;
  uint64_t heartbeats = 0;
  const char* ended = nullptr;
  while (ended == nullptr && !ctx->IsCancelled()) {
    std::vector<v1::NodeMessage> taken;
    const absl::Time deadline = clock_->TimeNow() + options_.heartbeat_interval;
    if (!session->NextMany(clock_, deadline, take, &taken)) {
      if (session->closed()) {
        ended = "replaced or drained";
        break;
      }
      v1::Heartbeat* hb = taken.emplace_back().mutable_heartbeat();
      *hb->mutable_server_time() = ToProtoTimestamp(clock_->TimeNow());
      hb->set_sequence(++heartbeats);
    }
    std::vector<v1::NodeMessage> out =
        PackAssignments(std::move(taken), kMaxAssignmentBytesPerMessage);
    for (size_t i = 0; i < out.size(); ++i) {
      if (writer->Write(out[i])) {
        if (metrics_) metrics_->OnStreamSent(out[i]);
        continue;
      }
      LogEvent(spdlog::level::warn, "sync_send_failed", {{"operator", *id}});
      // Not sent: Disconnect hands the assignments back at once, in order.
      for (size_t j = out.size(); j-- > i;) {
        std::vector<v1::NodeMessage> unsent =
            UnpackAssignments(std::move(out[j]));
        for (size_t k = unsent.size(); k-- > 0;) {
          if (unsent[k].has_assignment()) {
            session->Requeue(std::move(unsent[k]));
          }
        }
      }
      if (metrics_) metrics_->OnStreamSendFailed();
      ended = "send failed";
      break;
    }
  }
  if (ended == nullptr) ended = "stream closed";
  if (dispatcher_->Disconnect(session) > 0) dispatcher_->Kick();
  // Closed because its token was revoked: say so, rather than OK.
  absl::StatusOr<std::string> still = TokenOperator(ctx);
  if (!still.ok() || *still != *id) {
    LogEvent(spdlog::level::info, "operator_disconnected",
             {{"operator", *id}, {"reason", "credentials revoked"}});
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "the operator token was revoked");
  }
  LogEvent(
      spdlog::level::info, "operator_disconnected",
      {{"operator", *id}, {"reason", ctx->IsCancelled() ? "canceled" : ended}});
  return grpc::Status::OK;
}

grpc::Status NodeServiceImpl::Report(grpc::ServerContext* ctx,
                                     const v1::ReportRequest* req,
                                     v1::ReportResponse* resp) {
  if (std::optional<grpc::Status> standby =
          StandbyAnswer(ctx, options_.leader_elsewhere)) {
    return *standby;
  }
  absl::StatusOr<std::string> id = Authenticate(ctx, req->operator_id());
  if (!id.ok()) return ToGrpcStatus(id.status());
  absl::StatusOr<v1::ReportResponse> r =
      IsHandBack(*req)
          ? ledger_->HandBack(*id, req->execution_id(), req->attempt())
          : ledger_->Report(*id, *req);
  if (Settle(*req, r)) dispatcher_->Kick();
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = *std::move(r);
  return grpc::Status::OK;
}

grpc::Status NodeServiceImpl::ReportBatch(grpc::ServerContext* ctx,
                                          const v1::ReportBatchRequest* req,
                                          v1::ReportBatchResponse* resp) {
  if (std::optional<grpc::Status> standby =
          StandbyAnswer(ctx, options_.leader_elsewhere)) {
    return *standby;
  }
  absl::StatusOr<std::string> id = TokenOperator(ctx);
  if (!id.ok()) return ToGrpcStatus(id.status());
  if (req->reports_size() > kMaxReportBatch) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("reports: ", req->reports_size(),
                     " in one batch; at most ", kMaxReportBatch)));
  }
  std::vector<absl::StatusOr<v1::ReportResponse>> results(
      req->reports_size(), absl::InternalError("not decided"));
  std::vector<ExecutionLedger::ReportCall> calls;
  std::vector<int> call_at;
  for (int i = 0; i < req->reports_size(); ++i) {
    const v1::ReportRequest& r = req->reports(i);
    if (absl::Status claim = CheckClaim(r.operator_id(), *id); !claim.ok()) {
      results[i] = claim;
    } else if (IsHandBack(r)) {
      results[i] = ledger_->HandBack(*id, r.execution_id(), r.attempt());
    } else {
      calls.push_back({*id, &r});
      call_at.push_back(i);
    }
  }
  std::vector<absl::StatusOr<v1::ReportResponse>> decided =
      ledger_->ReportMany(calls);
  for (size_t j = 0; j < call_at.size(); ++j) {
    results[call_at[j]] = std::move(decided[j]);
  }
  bool released = false;
  for (int i = 0; i < req->reports_size(); ++i) {
    released |= Settle(req->reports(i), results[i]);
    v1::ReportBatchResult* out = resp->add_results();
    if (results[i].ok()) {
      *out->mutable_response() = *std::move(results[i]);
    } else {
      out->set_error_code(static_cast<int>(results[i].status().code()));
      out->set_error_message(std::string(results[i].status().message()));
    }
  }
  if (released) dispatcher_->Kick();
  return grpc::Status::OK;
}

bool NodeServiceImpl::IsHandBack(const v1::ReportRequest& r) {
  // PENDING: the operator hands back an attempt it will not start.
  return r.status() == v1::EXECUTION_STATUS_PENDING;
}

bool NodeServiceImpl::Settle(const v1::ReportRequest& r,
                             const absl::StatusOr<v1::ReportResponse>& answer) {
  if (!answer.ok()) return false;
  if (metrics_) metrics_->OnReport(answer->result(), r.status());
  // Only an accepted outcome frees the slot: a stale one may be about an
  // execution that now runs elsewhere.
  if ((IsHandBack(r) || IsTerminal(r.status())) &&
      answer->result() == v1::REPORT_RESULT_ACCEPTED) {
    dispatcher_->Released(r.execution_id());
    return true;
  }
  return false;
}

}  // namespace ap
