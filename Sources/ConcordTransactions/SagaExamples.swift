extension Transactions {
    /// The sagas Concord ships as runnable examples.
    public enum SagaExamples {
        /// An e-commerce checkout: create the order, charge the payment,
        /// reserve the inventory, schedule the shipment.
        public static func checkout(order: PeerID, payment: PeerID, inventory: PeerID, shipping: PeerID,
                                    attempts: Int = 3, timeoutTicks: Int = 20) -> [SagaStep] {
            [
                SagaStep(service: order, action: "create-order", compensation: "cancel-order",
                         attempts: attempts, timeoutTicks: timeoutTicks),
                SagaStep(service: payment, action: "charge-payment", compensation: "refund-payment",
                         attempts: attempts, timeoutTicks: timeoutTicks),
                SagaStep(service: inventory, action: "reserve-inventory", compensation: "release-inventory",
                         attempts: attempts, timeoutTicks: timeoutTicks),
                SagaStep(service: shipping, action: "schedule-shipment", compensation: "cancel-shipment",
                         attempts: attempts, timeoutTicks: timeoutTicks),
            ]
        }

        /// A travel booking: book the flight, the hotel and the car.
        public static func travel(flight: PeerID, hotel: PeerID, car: PeerID,
                                  attempts: Int = 3, timeoutTicks: Int = 20) -> [SagaStep] {
            [
                SagaStep(service: flight, action: "book-flight", compensation: "cancel-flight",
                         attempts: attempts, timeoutTicks: timeoutTicks),
                SagaStep(service: hotel, action: "book-hotel", compensation: "cancel-hotel",
                         attempts: attempts, timeoutTicks: timeoutTicks),
                SagaStep(service: car, action: "rent-car", compensation: "cancel-car",
                         attempts: attempts, timeoutTicks: timeoutTicks),
            ]
        }
    }
}
