#include "hiredis_asio_adapter.hpp"

#include <hiredis/async.h>
#include <spdlog/spdlog.h>

#include <boost/asio/error.hpp>
#include <utility>

namespace opsdb::redis {

HiredisAsioAdapter::HiredisAsioAdapter(Executor executor, std::weak_ptr<void> owner)
    : descriptor_(std::move(executor)), owner_(std::move(owner)) {}

HiredisAsioAdapter::~HiredisAsioAdapter() {
  // Normally the context was freed (and the cleanup hook ran) before the last reference went
  // away. If not, unhook so that hiredis never calls into freed memory, and leave the socket
  // to hiredis.
  if (context_ != nullptr) {
    context_->ev = {};
    detach();
  }
}

boost::system::error_code HiredisAsioAdapter::attach(redisAsyncContext* context) {
  boost::system::error_code ec;
  descriptor_.assign(context->c.fd, ec);
  if (ec) {
    return ec;
  }
  context_ = context;
  context->ev.data = this;
  context->ev.addRead = &HiredisAsioAdapter::on_add_read;
  context->ev.delRead = &HiredisAsioAdapter::on_del_read;
  context->ev.addWrite = &HiredisAsioAdapter::on_add_write;
  context->ev.delWrite = &HiredisAsioAdapter::on_del_write;
  context->ev.cleanup = &HiredisAsioAdapter::on_cleanup;
  return ec;
}

void HiredisAsioAdapter::on_add_read(void* self) {
  static_cast<HiredisAsioAdapter*>(self)->set_wanted(Direction::read, true);
}

void HiredisAsioAdapter::on_del_read(void* self) {
  static_cast<HiredisAsioAdapter*>(self)->set_wanted(Direction::read, false);
}

void HiredisAsioAdapter::on_add_write(void* self) {
  static_cast<HiredisAsioAdapter*>(self)->set_wanted(Direction::write, true);
}

void HiredisAsioAdapter::on_del_write(void* self) {
  static_cast<HiredisAsioAdapter*>(self)->set_wanted(Direction::write, false);
}

void HiredisAsioAdapter::on_cleanup(void* self) {
  static_cast<HiredisAsioAdapter*>(self)->detach();
}

HiredisAsioAdapter::Interest& HiredisAsioAdapter::interest(Direction direction) {
  return direction == Direction::read ? read_ : write_;
}

void HiredisAsioAdapter::set_wanted(Direction direction, bool wanted) {
  Interest& state = interest(direction);
  state.wanted = wanted;
  // hiredis calls the add hooks repeatedly (once per command for writes); one outstanding
  // wait per direction is enough. A wait that is no longer wanted is simply ignored when it
  // fires, which is cheaper than cancelling it (cancel would also hit the other direction).
  if (wanted && !state.waiting && context_ != nullptr) {
    start_wait(direction);
  }
}

void HiredisAsioAdapter::start_wait(Direction direction) {
  auto owner = owner_.lock();
  if (!owner) {
    // The owner is being destroyed and is freeing the context itself.
    return;
  }
  interest(direction).waiting = true;
  const auto type = direction == Direction::read ? boost::asio::posix::descriptor_base::wait_read
                                                 : boost::asio::posix::descriptor_base::wait_write;
  descriptor_.async_wait(
      type, [self = shared_from_this(), owner = std::move(owner),
             direction](const boost::system::error_code& ec) { self->on_ready(direction, ec); });
}

void HiredisAsioAdapter::on_ready(Direction direction, const boost::system::error_code& ec) {
  Interest& state = interest(direction);
  state.waiting = false;
  if (context_ == nullptr || ec == boost::asio::error::operation_aborted || !state.wanted) {
    return;
  }
  if (ec) {
    // Let hiredis find out what is wrong with the socket: its read/write fails and it tears
    // the context down through the usual disconnect path.
    spdlog::debug("redis: wait on socket failed: {}", ec.message());
  }
  // Either call may free the context (connection error, connect failure); the cleanup hook
  // then detaches this adapter, which stays alive until this handler returns.
  if (direction == Direction::read) {
    redisAsyncHandleRead(context_);
  } else {
    redisAsyncHandleWrite(context_);
  }
}

void HiredisAsioAdapter::detach() {
  context_ = nullptr;
  read_.wanted = false;
  write_.wanted = false;
  // Deregister without closing: hiredis closes the socket right after this hook. release()
  // also cancels the outstanding waits; their handlers see operation_aborted.
  if (descriptor_.is_open()) {
    descriptor_.release();
  }
}

}  // namespace opsdb::redis
